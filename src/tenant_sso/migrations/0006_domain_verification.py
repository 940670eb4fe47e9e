"""Claims and DNS checks of email domains are audited as LoginEvent rows of outcome ``domain``
(tenant_sso.domains, docs/domain-verification.md). Choices only: no schema change."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenant_sso", "0005_organization_domains_idp_initiated"),
    ]

    operations = [
        migrations.AlterField(
            model_name="loginevent",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("success", "success"),
                    ("denied", "denied"),
                    ("error", "error"),
                    ("logout", "logout"),
                    ("test", "test login"),
                    ("revoked", "session revoked"),
                    ("domain", "domain claim or check"),
                ],
                max_length=10,
            ),
        ),
    ]
