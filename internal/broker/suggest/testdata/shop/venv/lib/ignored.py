import stripe
stripe.Payout.create(amount=1, currency="usd")
