import os


class Config:
    STRIPE_SECRET_KEY = "sk_live_FAKEFAKEFAKE0000000000000001"  # expect: codekeys/hardcoded-api-key
    STRIPE_PUBLISHABLE_KEY = "pk_live_FAKEFAKEFAKE0000000000000001"


class DevConfig:
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_FAKEFAKEFAKE00000000000001")  # expect: codekeys/hardcoded-webhook-secret
