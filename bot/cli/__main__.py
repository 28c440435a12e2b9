"""`python -m bot.cli` runs the `cocreate` command line."""

from bot.cli.main import main

main()
