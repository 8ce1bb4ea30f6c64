import stripe

client = stripe.StripeClient(
    "rk_test_FAKEFAKEFAKE0000000000000110",  # expect: codekeys/hardcoded-api-key  # severity: low
)
