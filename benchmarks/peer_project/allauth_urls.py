from __future__ import annotations

from django.urls import include, path

from benchmarks.peer_project.urls import done

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("done/", done),
]
