"""The content page (/content/): a small reference client of the data API (`byod.data`).

- ``conversations``: the list (pinned, recent, archived) and "New conversation";
- ``conversation``: one conversation's messages, writing a message, rename, pin, archive, delete;
- ``notes``: the notes, a new note, editing one;
- ``base``: the store, blockers and full-page/partial answers they share; ``blockers``: the
  panel shown when the deployment cannot be used; ``forms``; ``rows``: documents as shown.
"""
