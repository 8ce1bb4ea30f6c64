from .models import ProcessedEvent


def fulfil(event):
    if event["type"] == "checkout.session.completed":
        order = event["data"]["object"]["client_reference_id"]
        print("ship", order)


def already_processed(event):
    return ProcessedEvent.objects.filter(event_id=event.id).exists()  # observe: webhook.idempotent-processing
