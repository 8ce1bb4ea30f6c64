def fulfil_order(order_id):
    print("fulfil", order_id)


def handle(event):
    if event["type"] == "checkout.session.completed":
        fulfil_order(event["data"]["object"]["client_reference_id"])
