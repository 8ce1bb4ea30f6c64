def construct_event(payload, sig_header, secret):
    return {"type": "account.updated", "data": {"object": {"id": "acct_test"}}}
