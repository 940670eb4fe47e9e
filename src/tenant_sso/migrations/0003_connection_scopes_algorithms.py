# Per-connection extra scopes and signing algorithms (issue 18).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenant_sso', '0002_normalise_domains'),
    ]

    operations = [
        migrations.AddField(
            model_name='connection',
            name='extra_scopes',
            field=models.JSONField(blank=True, default=list, help_text='Scopes always requested in addition to openid and the standard scopes the provider lists, e.g. a custom scope that releases the groups claim.'),
        ),
        migrations.AddField(
            model_name='connection',
            name='signing_algorithms',
            field=models.JSONField(blank=True, default=list, help_text='ID token signing algorithms accepted for this connection (e.g. ES256). Empty: TENANT_SSO_ALLOWED_ALGORITHMS.'),
        ),
    ]
