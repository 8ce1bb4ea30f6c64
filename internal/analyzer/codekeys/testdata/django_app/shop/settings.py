import os

DEBUG = True
STRIPE_SECRET_KEY = "sk_live_FAKEFAKEFAKE0000000000000005"  # expect: codekeys/hardcoded-api-key
STRIPE_TEST_KEY = "sk_test_FAKEFAKEFAKE0000000000000006"
STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
os.environ.setdefault("STRIPE_RESTRICTED_KEY", "rk_live_FAKEFAKEFAKE0000000000000007")  # expect: codekeys/key-in-env-default
