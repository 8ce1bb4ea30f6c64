"""Django settings read through a project helper: the environment first,
then an INI section, then the caller's default (CriativoDevs/salonix-backend).
An empty default is what an unset variable gives, and stripe-python accepts
events signed with an empty key."""
import configparser
import os

INI = configparser.ConfigParser()
INI.read(os.path.join(os.path.dirname(__file__), "app.ini"))
SECTION = os.getenv("DJANGO_ENV", "dev")


def env_get(name, default=None):
    val = os.getenv(name)
    if val is not None:
        return val
    return (dict(INI[SECTION]) if INI.has_section(SECTION) else {}).get(name.lower(), default)


def from_file(key, default=None):
    values = {}
    if os.path.exists("/run/secrets/app.json"):
        import json

        with open("/run/secrets/app.json") as fh:
            values = json.load(fh)
    return values.get(key, default=default)


STRIPE_WEBHOOK_SECRET = env_get("STRIPE_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
CONNECT_WEBHOOK_SECRET = from_file("connect_webhook_secret", "")  # expect: webhook/empty-secret
BILLING_WEBHOOK_SECRET = env_get("BILLING_WEBHOOK_SECRET")
REFUSED_WEBHOOK_SECRET = env_get("REFUSED_WEBHOOK_SECRET", "")
