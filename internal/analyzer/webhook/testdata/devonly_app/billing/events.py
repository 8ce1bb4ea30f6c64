def fulfil(event):
    if event["type"] == "checkout.session.completed":
        print("ship", event["data"]["object"]["id"])
