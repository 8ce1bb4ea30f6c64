import stripe

stripe.api_key = "sk_test_FAKEFAKEFAKE0000000000000103"  # expect: codekeys/hardcoded-api-key  # severity: medium
