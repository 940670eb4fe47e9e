"""Amazon Cognito specifics: its claim quirks (``claims``) and boto3 onboarding (``provisioning``).

Only :mod:`tenant_sso.cognito.provisioning` imports boto3, lazily, from the ``[cognito]`` extra.
"""
