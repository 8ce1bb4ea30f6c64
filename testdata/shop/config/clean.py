# stripeguard must report nothing here.
import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
EXAMPLE = "sk_live_..."
DOC_PLACEHOLDER = "<sk_live_YOUR_KEY>"
