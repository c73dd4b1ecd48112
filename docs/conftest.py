# The API page quotes the docstrings, whose examples already run in their own modules.
collect_ignore = ["api"]
