"""The content page, mounted at /content/ by byodsite.urls."""

from __future__ import annotations

from django.urls import path

from byod.views.content import conversation, conversations, notes

app_name = "content"

urlpatterns = [
    path("", conversations.index, name="index"),
    path("new/", conversation.create, name="create"),
    path("c/<str:conv_id>/", conversation.show, name="conversation"),
    path("c/<str:conv_id>/write/", conversation.write, name="write"),
    path("c/<str:conv_id>/rename/", conversation.rename, name="rename"),
    path("c/<str:conv_id>/pin/", conversation.pin, name="pin"),
    path("c/<str:conv_id>/archive/", conversation.archive, name="archive"),
    path("c/<str:conv_id>/delete/", conversation.delete, name="delete"),
    path("notes/", notes.index, name="notes"),
    path("notes/new/", notes.create, name="note_create"),
    path("notes/<str:note_id>/", notes.edit, name="note"),
]
