def handle_stripe_event(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])
