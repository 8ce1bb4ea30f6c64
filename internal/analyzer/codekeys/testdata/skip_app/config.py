import os

token = os.environ["STRIPE_SECRET_KEY"]
region = os.environ.get("REGION", "eu")
