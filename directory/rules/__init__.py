"""Pure rules applied to listing text from any source: cleaning and suggestions.

Nothing here touches the database, the request or the network, so importers, the listing
form, search and the review queue can all call the same functions and get the same answer.
"""
