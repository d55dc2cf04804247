"""Documents staff read and file: the recommendation document and the quarterly circulation."""
