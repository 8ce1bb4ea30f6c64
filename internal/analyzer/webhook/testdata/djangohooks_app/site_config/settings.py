import os

STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shop.middleware.StripeSignatureMiddleware",
    "shop.middleware.connect_signature_middleware",
    "shop.middleware.AuditMiddleware",
]
