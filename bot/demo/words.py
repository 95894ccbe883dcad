"""What the demo team says in the quieter weeks before the one shown in full: the tensions
they raised, their check-in notes, their appreciations."""

EARLIER_TENSIONS = [
    "The pool car's tyres need checking before the weekend",
    "Nobody knows who reorders gloves and aprons",
    "Two of us booked the same training day",
    "The Sunday out-of-hours handover gets missed",
    "Care plans at three addresses are out of date",
    "The office is double-booked on Tuesday mornings",
    "Our shared calendar shows last month's rota",
    "The key safe code at Elm Court changed without notice",
    "Nobody has checked the first aid kits this year",
    "The referral inbox is only read on Mondays",
]
CHECKIN_NOTES = [
    "Tired but OK",
    "Good week, lots of laughs on the road",
    "A heavy visit on Thursday stayed with me",
    "Feeling settled",
    "Running to catch up after leave",
    "Proud of how we covered the sickness",
]
APPRECIATIONS = [
    "You picked up my late visit without being asked",
    "Your calm on the phone with the GP got Mr T seen the same day",
    "Thank you for showing me the new dressing technique",
    "You noticed I was struggling and made me a cup of tea",
    "Your handover notes are the clearest on the team",
]
