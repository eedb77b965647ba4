import os

from django.core.asgi import get_asgi_application

from supplierwatch import freeze_loaded_objects, require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supplierwatch.settings")
application = get_asgi_application()
require_secret_key()
freeze_loaded_objects()
