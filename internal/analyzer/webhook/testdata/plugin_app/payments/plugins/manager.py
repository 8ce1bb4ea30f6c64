from django.conf import settings
from django.utils.module_loading import import_string


class PluginsManager:
    def __init__(self):
        self.plugins = [import_string(path)() for path in settings.PAYMENT_PLUGINS]

    def webhook(self, request, plugin_id, path):
        for plugin in self.plugins:
            if plugin.PLUGIN_ID == plugin_id:
                return plugin.webhook(request, path)
        return None


def get_plugins_manager():
    return PluginsManager()
