import os

STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_FAKEFAKEFAKE00000000000109")  # expect: codekeys/hardcoded-webhook-secret  # severity: low
