"""Word lists for synthetic listings and queries.

The vocabulary mirrors what the directory holds (walking groups, choirs, allotments, peer
support, cafés, hearing voices groups...) and includes the words of
``search/data/synonyms.txt`` so synonym expansion is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """What a listing is about: words for its name and text, and its usual CIVIC domains."""

    names: tuple[str, ...]  # the topic part of a listing name: "Walking", "Walk and Talk"
    phrases: tuple[str, ...]  # noun phrases for summaries: "a gentle walk"
    domains: tuple[str, ...]  # CIVIC domains it most often targets
    kinds: tuple[str, ...]  # kinds it usually is


TOPICS: tuple[Topic, ...] = (
    Topic(
        ("Walking", "Walk and Talk", "Rambling", "Nature Walks"),
        ("a gentle walk and a chat", "walking at an easy pace", "a stroll in the park"),
        ("closeness", "beyond", "involvement"),
        ("group", "activity"),
    ),
    Topic(
        ("Community Choir", "Singing", "Sing for Wellbeing"),
        ("singing together", "a friendly choir", "songs old and new"),
        ("identity", "involvement", "closeness"),
        ("group",),
    ),
    Topic(
        ("Allotment", "Community Garden", "Growing", "Gardening"),
        ("growing vegetables on the allotment", "gardening together", "planting and weeding"),
        ("beyond", "involvement", "valued"),
        ("place", "group"),
    ),
    Topic(
        ("Peer Support", "Peer-Led Support", "Lived Experience"),
        ("peer support from people with lived experience", "sharing experiences"),
        ("cared_for", "identity", "closeness"),
        ("group",),
    ),
    Topic(
        ("Community Café", "Coffee Morning", "Tea and Chat", "Café"),
        ("a cup of tea and a chat", "coffee and cake", "a warm café"),
        ("closeness", "involvement", "cared_for"),
        ("place", "group"),
    ),
    Topic(
        ("Art", "Arts and Crafts", "Painting", "Creative"),
        ("painting and drawing", "arts and crafts", "creative projects"),
        ("identity", "valued", "beyond"),
        ("activity", "group"),
    ),
    Topic(
        ("Hearing Voices", "Voices"),
        ("a hearing voices group", "talking openly about voices and visions"),
        ("cared_for", "identity"),
        ("group",),
    ),
    Topic(
        ("Befriending", "Companionship", "Friendship"),
        ("befriending and companionship", "a regular friendly visit"),
        ("closeness", "valued", "cared_for"),
        ("activity", "group"),
    ),
    Topic(
        ("Music", "Community Band", "Music Jam"),
        ("playing music together", "a relaxed jam session", "learning instruments"),
        ("identity", "involvement"),
        ("group", "activity"),
    ),
    Topic(
        ("Football", "Five-a-Side", "Walking Football"),
        ("friendly football", "five-a-side games", "walking football"),
        ("involvement", "identity"),
        ("activity", "group"),
    ),
    Topic(
        ("Swimming", "Swim"),
        ("relaxed swimming", "a quiet swim session at the pool"),
        ("involvement", "beyond"),
        ("activity",),
    ),
    Topic(
        ("Yoga", "Gentle Yoga", "Pilates", "Stretching"),
        ("gentle yoga and stretching", "breathing and relaxation"),
        ("beyond", "cared_for"),
        ("activity",),
    ),
    Topic(
        ("Cooking", "Lunch Club", "Community Kitchen", "Food"),
        ("cooking and sharing a meal", "a hot lunch", "learning to cook on a budget"),
        ("closeness", "valued", "involvement"),
        ("group", "activity", "place"),
    ),
    Topic(
        ("Volunteering", "Volunteers", "Conservation Volunteers"),
        ("volunteering in the community", "conservation work outdoors"),
        ("valued", "involvement", "beyond"),
        ("activity", "group"),
    ),
    Topic(
        ("Faith", "Church", "Spiritual", "Meditation"),
        ("faith and spiritual reflection", "quiet prayer and worship", "meditation"),
        ("beyond", "identity"),
        ("group", "place"),
    ),
    Topic(
        ("Men's Shed", "Men's Group", "Men's Wellbeing"),
        ("woodwork and a chat for men", "a men's wellbeing group"),
        ("identity", "valued", "closeness"),
        ("place", "group"),
    ),
    Topic(
        ("Women's Group", "Women's Circle", "Women's Wellbeing"),
        ("a women's wellbeing circle", "a safe space for women"),
        ("identity", "closeness", "cared_for"),
        ("group",),
    ),
    Topic(
        ("Anxiety Support", "Worry Less", "Anxiety"),
        ("support with anxiety and worry", "coping with anxiety"),
        ("cared_for", "identity"),
        ("group",),
    ),
    Topic(
        ("Depression Support", "Low Mood", "Mood Matters"),
        ("support for depression and low mood", "understanding low mood"),
        ("cared_for", "identity"),
        ("group", "activity"),
    ),
    Topic(
        ("Job Club", "Employment Support", "Work and Wellbeing"),
        ("help with employment and jobs", "finding work that suits you"),
        ("valued", "involvement"),
        ("activity", "group"),
    ),
    Topic(
        ("Carers", "Carers' Support", "Carers' Café"),
        ("support for carers", "a break for carers"),
        ("cared_for", "closeness"),
        ("group", "place"),
    ),
    Topic(
        ("Recovery College", "Recovery Course", "Wellbeing Course"),
        ("a recovery college course", "learning about recovery and wellbeing"),
        ("identity", "valued", "cared_for"),
        ("activity",),
    ),
    Topic(
        ("Knitting", "Knit and Natter", "Sewing"),
        ("knitting and natter", "sewing and crochet"),
        ("closeness", "involvement"),
        ("group",),
    ),
    Topic(
        ("Book Club", "Reading Group", "Creative Writing", "Poetry"),
        ("reading and talking about books", "creative writing and poetry"),
        ("identity", "closeness"),
        ("group", "activity"),
    ),
    Topic(
        ("Photography", "Cycling", "Bike Club"),
        ("photography walks", "cycling and bike maintenance"),
        ("involvement", "beyond"),
        ("activity", "group"),
    ),
    Topic(
        ("Dance", "Tai Chi", "Movement"),
        ("dance and movement", "tai chi in the park"),
        ("beyond", "involvement"),
        ("activity",),
    ),
    Topic(
        ("Animal", "Farm", "Dog Walking"),
        ("time with animals on the farm", "dog walking and animal care"),
        ("beyond", "valued"),
        ("activity", "place"),
    ),
    Topic(
        ("Chess", "Board Games", "Quiz"),
        ("chess and board games", "a friendly quiz"),
        ("closeness", "involvement"),
        ("group",),
    ),
    Topic(
        ("Fishing", "Angling"),
        ("fishing by the river", "angling and fresh air"),
        ("beyond", "closeness"),
        ("activity", "group"),
    ),
    Topic(
        ("Drop-in", "Wellbeing Hub", "Community Hub"),
        ("a drop-in with advice and a friendly face", "a wellbeing hub"),
        ("cared_for", "involvement"),
        ("place",),
    ),
)

PLACES = (
    "Riverside", "Hillside", "Northfield", "St Mary's", "Oakwood", "Meadow", "Canal Side",
    "Market Street", "Parkside", "Harbour", "Valley", "Greenway", "Millbrook", "Abbey",
    "Station Road", "Victoria", "Castle", "Beacon", "Brookfield", "Westgate", "Eastside",
    "Southbank", "Highfield", "Orchard", "Kingsway", "Moorland", "Church Lane", "Elm Tree",
    "Willow", "Ashgrove", "Fairview", "Springfield", "Lakeside", "Heathside", "Bridge End",
    "Old Town", "New Cross", "Windmill", "Quayside", "Foxhill", "Redbrick", "Greenhill",
    "Woodlands", "Cedar", "Rosemount", "Sunnyside", "Thornbury", "Beechwood", "Chapel Street",
    "Mill Lane",
)  # fmt: skip

KIND_SUFFIXES = {
    "group": ("Group", "Club", "Circle", "Network", "Collective", "Society", "Friends"),
    "place": ("Centre", "Hub", "Space", "House", "Garden", "Shed", "Corner"),
    "activity": ("Sessions", "Project", "Programme", "Workshop", "Course", "Club"),
}

ORGANISATION_TYPES = (
    "Community Trust", "Wellbeing Partnership", "Mind", "Recovery College", "Community Centre",
    "Voluntary Action", "Carers' Network", "Neighbourhood Association", "Arts Collective",
    "Health Foundation", "Peer Network", "Social Enterprise", "Friends Society",
    "Mental Health Forum", "Housing Association",
)  # fmt: skip

ADJECTIVES = (
    "friendly", "relaxed", "welcoming", "informal", "small", "supportive", "lively",
    "gentle", "peer-led", "volunteer-run", "free", "weekly",
)  # fmt: skip

AUDIENCE_PHRASES = (
    "anyone who wants to meet new people", "adults of all ages", "people feeling isolated",
    "people living with anxiety or depression", "anyone recovering from a difficult time",
    "older adults", "young adults", "carers and families", "people new to the area",
    "anyone who hears voices", "men who would like to talk", "women and non-binary people",
)  # fmt: skip

CONDITIONS = (
    "anxiety", "depression", "low mood", "loneliness", "psychosis", "bipolar disorder",
    "PTSD", "stress", "grief", "hearing voices",
)  # fmt: skip

DESCRIPTION_SENTENCES = (
    "Come along and enjoy {phrase} with others in a relaxed, welcoming setting.",
    "No experience is needed and you are welcome to just watch the first time.",
    "Many people who come along live with {condition} and find it helps to meet others.",
    "Sessions are run by {deliverers} who know what it is like to struggle.",
    "Tea, coffee and biscuits are provided, and there is a café next door.",
    "We also organise {other} and occasional trips out.",
    "You can bring a friend, carer or support worker to your first session.",
    "Our volunteers will meet you at the door and introduce you to people.",
    "It is a good place to build confidence, make friends and try something new.",
    "Please get in touch before your first visit if you have any questions.",
    "The group follows a simple wellbeing plan and sets small goals together.",
    "There is a quiet space if things feel too much.",
    "Lunch is available for a small donation.",
    "People tell us it has helped their recovery and given their week a shape.",
)  # fmt: skip

DELIVERERS = ("peer supporters", "trained volunteers", "our staff team", "local volunteers")

STREETS = (
    "High Street", "Church Road", "Station Road", "Park Lane", "Victoria Road", "Mill Lane",
    "Queen Street", "King Street", "Market Place", "London Road", "North Street", "The Green",
)  # fmt: skip

VENUES = (
    "Community Hall", "Library", "Methodist Church Hall", "Leisure Centre", "Scout Hut",
    "Village Hall", "Community Centre", "Health Centre", "Allotments", "Arts Centre",
)  # fmt: skip

# Words and short phrases people type; many are synonyms of each other (synonyms.txt).
QUERY_WORDS = (
    "walking", "walk", "rambling", "stroll", "choir", "singing", "allotment", "gardening",
    "growing", "peer support", "lived experience", "peer-led", "café", "cafe", "coffee", "tea",
    "art", "painting", "crafts", "creative", "hearing voices", "voices", "befriending",
    "friendship", "music", "band", "football", "five-a-side", "swimming", "yoga", "pilates",
    "cooking", "lunch", "food", "volunteering", "volunteer", "conservation", "nature",
    "outdoors", "faith", "spiritual", "meditation", "men", "women", "anxiety", "worry",
    "depression", "low mood", "employment", "jobs", "carers", "recovery college", "wellbeing",
    "knitting", "sewing", "book club", "poetry", "writing", "photography", "cycling", "dance",
    "tai chi", "animals", "farm", "chess", "quiz", "fishing", "drop-in", "confidence",
    "loneliness", "grief", "support",
)  # fmt: skip
