"""Another SDK with a similar shape: not Stripe, must not be allowed."""
from crm import Client

client = Client("token")


def add(email):
    return client.customers.create(email=email)
