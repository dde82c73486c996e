// The occurrences of each recurring VEVENT (one with an RRULE) of an iCalendar file read from stdin,
// as Mozilla's ical.js (the parser of Thunderbird) expands them: one line per occurrence,
// "<UID> <start in UTC, ISO 8601>". EXDATEs are honoured; at most 500 occurrences per event.
// Used by tests/meetings/test_series_mail.py to cross-check python-dateutil's reading.
const ICAL = require("ical.js");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { text += chunk; });
process.stdin.on("end", () => {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {  // the file's own time zone rules
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  for (const vevent of calendar.getAllSubcomponents("vevent")) {
    if (!vevent.hasProperty("rrule") || vevent.hasProperty("recurrence-id")) continue;
    const event = new ICAL.Event(vevent);
    const it = event.iterator();
    for (let n = 0, next = it.next(); next && n < 500; next = it.next(), n += 1) {
      process.stdout.write(`${event.uid} ${next.convertToZone(ICAL.Timezone.utcTimezone).toString()}\n`);
    }
  }
});
