"""The Word templates of the documents (*.docx), read through importlib.resources.files("docx_templates").

tools/build_templates.py (outside the package) wrote their first versions; staff have edited them since,
and the code only fills their tags (pipelines/formats/documents.py CONTEXT_KEYS)."""
