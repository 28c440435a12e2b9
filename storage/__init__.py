"""SQLModel tables, keyword-only repository functions, engine setup and Alembic migrations."""
