"""The Word templates of the documents (*.docx), read through importlib.resources.files("docx_templates").

build_templates.py is a development script that wrote their first versions; importing this package does
not run it."""
