"""django-oauth-toolkit as an OpenID Provider: a small separate Django project for tests/interop.

``settings.py`` reads its whole configuration from the ``DOT_OP_CONFIG`` environment variable
(JSON, see ``tests/interop/third_party.py``); ``bootstrap.py`` creates its users, groups and
applications; it runs on ``runserver --noreload`` on 127.0.0.1 with its own SQLite file.
"""
