import os

from conf.helpers import env, get_setting

WEBHOOK_SECRET = get_setting("STRIPE_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
ENDPOINT_SECRET = env("STRIPE_ENDPOINT_SECRET", default="")  # expect: webhook/empty-secret
STRICT_SECRET = get_setting("STRIPE_WEBHOOK_SECRET")
OPTIONAL_SECRET = os.getenv("STRIPE_CONNECT_WEBHOOK_SECRET")
