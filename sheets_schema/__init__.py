"""Sheet, form and message schemas (YAML), read through importlib.resources.files("sheets_schema")."""
