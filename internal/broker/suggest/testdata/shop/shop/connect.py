"""Connect: transfers on behalf of connected accounts."""
import stripe


def pay_out(account_id, cents):
    return stripe.Transfer.create(amount=cents, currency="eur", destination=account_id)


def their_balance(account_id):
    return stripe.Balance.retrieve(stripe_account=account_id)
