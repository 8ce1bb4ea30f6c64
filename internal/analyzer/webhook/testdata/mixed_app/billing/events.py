import billing.security


class EventService:
    def parse(self, request):
        return billing.security.check_signature(request.get_data(), request.headers.get("Stripe-Signature"))

    def parse_leniently(self, request):
        return billing.security.lenient_check(request.get_data(), request.headers.get("Stripe-Signature"))
