import os

import boto3
import stripe


def configure():
    stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: codekeys/key-held-by-application  # observe: keys.from-environment


def configure_from_secrets_manager():
    sm = boto3.client("secretsmanager")
    stripe.api_key = sm.get_secret_value(SecretId="stripe/secret-key")["SecretString"]  # observe: keys.from-environment
