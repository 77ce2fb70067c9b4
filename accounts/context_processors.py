from .roles import Role


def roles(request):
    user = getattr(request, "user", None)
    role_set = user.role_set if user is not None and user.is_authenticated else frozenset()
    return {"user_roles": {role.name.lower(): role in role_set for role in Role}}
