"""Term lexicons (data files, reviewed like code). See docs/lexicons.md for the format."""
