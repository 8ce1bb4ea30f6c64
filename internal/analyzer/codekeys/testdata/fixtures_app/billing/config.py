"""Production settings of the billing service."""
import os

import stripe

# A real endpoint secret committed with the code: the true finding the
# test-fixture rule must not hide.
STRIPE_WEBHOOK_SECRET = "whsec_FAKEFAKEFAKE00000000000101"  # expect: codekeys/hardcoded-webhook-secret  # severity: high

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: codekeys/key-held-by-application
