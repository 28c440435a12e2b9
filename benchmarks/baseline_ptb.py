"""The baseline cocreate is measured against: the Explorer dialog as a Python developer would
write it with plain python-telegram-bot 22, made durable the usual way.

A `ConversationHandler` with the same nine turns and the same button labels as cocreate's
English dialog (consent, role, description, category, location, photo or Skip, who is
affected, confirm), answering each button press and replacing its keyboard by the choice as
cocreate does, and a `PicklePersistence` written after every update (a handler in a later
group calls `Application.update_persistence()`), so a crash loses at most the update in
hand. Reports are kept in `bot_data`, so the pickle grows with every report and the whole
file is rewritten on every update.

It is not part of cocreate: `benchmarks/telegram.py` runs it as a process of its own
against the same fake Bot API server, side by side with `cocreate run`.

    python benchmarks/baseline_ptb.py --token T --base-url http://127.0.0.1:PORT/bot --file state.pickle
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

# benchmarks/telegram.py would shadow the library: import from anywhere but this folder.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

# "CallbackQueryHandler will not be tracked for every message": one dialog per person is meant.
warnings.filterwarnings("ignore", category=PTBUserWarning)

CONSENT, ROLE, DESCRIPTION, CATEGORY, PLACE, PHOTO, AFFECTED, CONFIRM = range(8)
MAX_TEXT = 2_000
CATEGORIES = {
    "roads": "Roads and pavements", "lighting": "Street lighting", "waste": "Waste and cleaning",
    "parks": "Parks and green spaces", "transport": "Public transport", "safety": "Safety",
    "other": "Something else",
}  # fmt: skip
AFFECTED_OPTIONS = {"me": "Just me", "street": "My street", "neighbourhood": "My neighbourhood", "city": "The whole city"}
ROLES = {
    "explorer": "Explorer — report a problem you've noticed", "ideator": "Ideator — propose a solution",
    "designer": "Designer — help build a solution", "diffuser": "Diffuser — spread the word",
}  # fmt: skip


def keyboard(options: dict[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=value)] for value, label in options.items()])


async def pressed(update: Update, options: dict[str, str]) -> str | None:
    """Answer the press and show the choice in place of the keyboard; the value, if it is one of ours."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    if query.data not in options:
        return None
    await query.edit_message_text(f"{query.message.text}\n\n✔ {options[query.data]}")  # type: ignore[union-attr]
    return query.data


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    await update.message.reply_text(
        "Hello! I help residents and the city team improve public services together. "
        "Before we start, please read this and tell me if you agree.",
        reply_markup=keyboard({"agree": "I agree", "more": "Tell me more"}),
    )
    return CONSENT


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if await pressed(update, {"agree": "I agree"}) is None:
        return CONSENT
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "How would you like to take part?", reply_markup=keyboard(ROLES))
    return ROLE


async def role(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if await pressed(update, {"explorer": ROLES["explorer"]}) is None:
        return ROLE
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data["report"] = {}
    await context.bot.send_message(update.effective_chat.id, "What is the problem? Describe it in a sentence or two.")
    return DESCRIPTION


async def description(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and update.message.text is not None and context.user_data is not None
    text = update.message.text.strip()
    if not 10 <= len(text) <= MAX_TEXT:
        await update.message.reply_text(f"Please describe it in 10 to {MAX_TEXT} characters.")
        return DESCRIPTION
    context.user_data["report"]["description"] = text
    await update.message.reply_text("Which category fits best?", reply_markup=keyboard(CATEGORIES))
    return CATEGORY


async def category(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    chosen = await pressed(update, CATEGORIES)
    if chosen is None:
        return CATEGORY
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data["report"]["category"] = chosen
    share = ReplyKeyboardMarkup([[KeyboardButton("Share my location", request_location=True)], ["Skip"]], one_time_keyboard=True)
    await context.bot.send_message(
        update.effective_chat.id, "Where is it? Share your location, type an address or a landmark, or choose Skip.",
        reply_markup=share,
    )  # fmt: skip
    return PLACE


async def place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and context.user_data is not None
    if update.message.location is not None:
        context.user_data["report"]["location"] = (update.message.location.latitude, update.message.location.longitude)
    elif update.message.text and update.message.text != "Skip":
        context.user_data["report"]["place"] = update.message.text[:MAX_TEXT]
    await update.message.reply_text("Do you have a photo of it? Send it now, or choose Skip.", reply_markup=ReplyKeyboardMarkup([["Skip"]]))
    return PHOTO


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and context.user_data is not None
    if update.message.photo:
        context.user_data["report"]["photo"] = update.message.photo[-1].file_id
    await update.message.reply_text("Who is affected?", reply_markup=keyboard(AFFECTED_OPTIONS))
    return AFFECTED


async def affected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    chosen = await pressed(update, AFFECTED_OPTIONS)
    if chosen is None:
        return AFFECTED
    assert update.effective_chat is not None and context.user_data is not None
    report = context.user_data["report"]
    report["affected"] = chosen
    summary = f"Here is your report:\n\n{report['description']}\nCategory: {CATEGORIES[report['category']]}"
    await context.bot.send_message(
        update.effective_chat.id, summary,
        reply_markup=keyboard({"confirm": "Confirm", "change": "Change something", "cancel": "Cancel"}),
    )  # fmt: skip
    return CONFIRM


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if await pressed(update, {"confirm": "Confirm"}) is None:
        return CONFIRM
    assert update.effective_chat is not None and update.effective_user is not None and context.user_data is not None
    problems = context.bot_data.setdefault("problems", [])
    problems.append({**context.user_data.pop("report"), "user": update.effective_user.id})
    await context.bot.send_message(
        update.effective_chat.id,
        f"Thank you! Your report is P-{len(problems)}. The city team will review it and I will tell you what happens.",
    )
    return ConversationHandler.END


async def flush(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After every update: write the pickle, so a crash loses at most the update in hand."""
    await context.application.update_persistence()


def build(token: str, base_url: str, file: str) -> Application:  # type: ignore[type-arg]
    persistence = PicklePersistence(filepath=file, update_interval=3600)  # written by `flush`, not by the timer
    application = Application.builder().token(token).base_url(base_url).persistence(persistence).build()
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            CONSENT: [CallbackQueryHandler(consent)],
            ROLE: [CallbackQueryHandler(role)],
            DESCRIPTION: [MessageHandler(filters.TEXT & ~filters.COMMAND, description)],
            CATEGORY: [CallbackQueryHandler(category)],
            PLACE: [MessageHandler(filters.LOCATION | (filters.TEXT & ~filters.COMMAND), place)],
            PHOTO: [MessageHandler(filters.PHOTO | (filters.TEXT & ~filters.COMMAND), photo)],
            AFFECTED: [CallbackQueryHandler(affected)],
            CONFIRM: [CallbackQueryHandler(confirm)],
        },
        fallbacks=[CommandHandler("start", start)],
        name="explorer",
        persistent=True,
    )
    application.add_handler(conversation)
    application.add_handler(TypeHandler(Update, flush), group=1)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--file", required=True, help="the pickle file")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    build(arguments.token, arguments.base_url, arguments.file).run_polling(poll_interval=0, timeout=1)


if __name__ == "__main__":
    main()
