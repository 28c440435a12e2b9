"""The staff console: a web workplace served by the same program (`cocreate web`, or beside
the channels in `cocreate run`). Server-rendered pages (Starlette, Jinja2, htmx) over the
same staff operations as the command line and the chat commands; no SQL here."""
