"""WSGI entry point: `gunicorn wsgi:app`; `flask` finds the app here too."""

from marketplace.app import create_app

app = create_app()
