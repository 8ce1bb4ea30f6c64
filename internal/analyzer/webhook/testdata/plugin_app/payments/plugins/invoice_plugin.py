from django.http import HttpResponse


class InvoicePlugin:
    PLUGIN_ID = "invoices"

    def webhook(self, request, path):
        return HttpResponse(status=404)
