import os

STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
PAYMENT_PLUGINS = [
    "payments.plugins.stripe_plugin.StripeGatewayPlugin",
    "payments.plugins.invoice_plugin.InvoicePlugin",
]
