from django.db import migrations

from ocpi_hub.db import lz4_compression


class Migration(migrations.Migration):
    dependencies = [
        ("ocpi_sessions", "0001_initial"),
    ]

    operations = [
        lz4_compression("ocpi_sessions_session", "document"),
    ]
