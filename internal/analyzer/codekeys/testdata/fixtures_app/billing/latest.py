"""Not test code: the name only contains "test"."""

SIGNING = {
    "endpoint": "/stripe/webhook",
    "secret": "whsec_FAKEFAKEFAKE00000000000102",  # expect: codekeys/hardcoded-webhook-secret  # severity: high
}
