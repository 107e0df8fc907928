""" "Download my data": a user's content as a ZIP in the snapshot format `npx convex import`
takes (`snapshot`), requested, built on a worker, served to its owner and expired (`run`)."""
