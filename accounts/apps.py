from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from axes.signals import user_locked_out

        from .services import user_record_lockout

        def record_lockout(sender, request, username, ip_address, **kwargs):
            user_record_lockout(username=username or "", ip_address=ip_address)

        # Every sign-in lockout (django-axes) goes into the audit trail.
        user_locked_out.connect(record_lockout, weak=False, dispatch_uid="accounts.record_lockout")
