// The register and the issuance reports: indexing the store, clerk records, the seed figures
// (95.01% / 4.28% and 74.46% / 27.15%), the category invariant on random registers, the inputs
// that are refused, and the two commands.
#include <catch2/catch.hpp>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/evidence/report.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/signing/pdf_verifier.h"
#include "signing/pdf_fixtures.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;
using namespace Poco::Data::Keywords;

namespace {

struct EvidenceFixture {
  TempDir tmp;
  std::string store_file = (tmp.path() / "store.sqlite").string();
  std::unique_ptr<Store> store;
  std::shared_ptr<const schemas::Directory> directory = threeNodeDirectory({});
  Evidence ev;

  explicit EvidenceFixture(std::shared_ptr<const signing::PdfVerifier> pdf = nullptr,
                           Targets targets = {}) {
    auto s = openSqliteStore(store_file);
    REQUIRE(s);
    store = std::move(*s);
    EvidenceOptions o;
    o.store_file = store_file;
    o.directory = schemas::LiveDirectory::make(directory);
    o.node_name = "district-a";
    o.targets = std::move(targets);
    o.pdf_verifier = std::move(pdf);
    auto e = openEvidence(o);
    if (!e) FAIL(e.error().describe());
    ev = std::move(*e);
  }

  // Stores a document as intake would: the serialized package and one delivery per recipient.
  std::int64_t storeDocument(const schemas::Package& p, const std::vector<NewDelivery>& deliveries) {
    NewMessage m;
    m.kind = MessageKind::Document;
    m.sender = p.header.from.organ_id;
    m.document_id = p.documentId();
    m.dedupe_key = m.document_id;
    m.bytes = p.serialize();
    m.content_hash = std::to_string(std::hash<std::string>{}(m.bytes));
    m.subject = p.header.subject;
    m.deliveries = deliveries;
    auto a = store->insertMessage(m);
    REQUIRE(a);
    return a->id;
  }
};

schemas::Package districtPackage(int number, const std::string& date, bool paper_copy = false,
                                 const std::string& from = kDistrictA) {
  auto p = testPackage(from, {kCommuneA1, kProvince}, number, "UBND");
  p.header.promulgation_date = date;
  p.header.document_id = from + "," + date + "," + std::to_string(number) + "/UBND";
  p.header.type_name = "Công văn";
  p.header.signer = {"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn An"};
  if (paper_copy) {
    schemas::Business b;
    b.paper = true;
    p.business = b;
  }
  return p;
}

// Milliseconds since the epoch of 09:00 (UTC+7) on yyyy/MM/dd.
std::int64_t morningMs(const std::string& date) {
  int y = std::stoi(date.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(date.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(date.substr(8, 2)));
  const auto days = std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
  return std::chrono::duration_cast<std::chrono::milliseconds>(days.time_since_epoch()).count() +
         2 * 3600 * 1000;
}

// Many gateway documents at once, written straight into the store's tables in one transaction
// (what thousands of intakes would leave), so the seed-sized tests stay fast.
void bulkStore(const std::string& store_file, const std::string& from,
               const std::vector<std::string>& to, int first_number, int count,
               const std::string& date, bool paper_copy) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session s("SQLite", store_file);
  s.begin();
  auto base = districtPackage(1, date, paper_copy, from);
  base.header.to.clear();
  for (const auto& t : to) {
    schemas::Organization o;
    o.organ_id = t;
    o.organ_name = "Đơn vị " + t;
    base.header.to.push_back(o);
  }
  for (int i = 0; i < count; ++i) {
    auto p = base;
    const int number = first_number + i;
    p.header.code.number = std::to_string(number);
    p.header.document_id = from + "," + date + "," + std::to_string(number) + "/UBND";
    std::string bytes = p.serialize();
    std::string doc = p.header.document_id, kind = "document", hash = std::to_string(number),
                subject = p.header.subject;
    Poco::Int64 now_ms = morningMs(date);
    s << "INSERT INTO messages(kind, sender, dedupe_key, document_id, content_hash, bytes, subject,"
         " received_ms) VALUES (?,?,?,?,?,?,?,?)",
        bind(kind), bind(from), bind(doc), bind(doc), bind(hash), bind(bytes), bind(subject),
        bind(now_ms), now;
    Poco::Int64 id = 0;
    s << "SELECT last_insert_rowid()", into(id), now;
    for (const auto& t : to) {
      std::string route = t == kProvince ? "peer" : "local", state = "delivered";
      s << "INSERT INTO deliveries(message_id, recipient, route, state, created_ms)"
           " VALUES (?,?,?,?,?)",
          bind(id), bind(t), bind(route), bind(state), bind(now_ms), now;
    }
  }
  s.commit();
}

std::string paperCsv(const std::string& unit, int first_number, int count, const std::string& date,
                     bool dispatched, bool header = true) {
  std::string csv =
      header ? "unit,number,notation,date,type,subject,signer,recipients,dispatch_date,copies\n" : "";
  for (int i = 0; i < count; ++i) {
    csv += unit + "," + std::to_string(first_number + i) + ",UBND," + date +
           ",Công văn,\"Về việc báo cáo, thống kê\",Nguyễn Văn An," + kProvince + ";" + kDistrictB +
           "," + (dispatched ? date : "") + ",2\n";
  }
  return csv;
}

const UnitIssuance& unitRow(const IssuanceReport& r, const std::string& code) {
  for (const auto& u : r.units) {
    if (u.unit == code) return u;
  }
  FAIL("no row for " + code);
  return r.units.front();
}

}  // namespace

TEST_CASE("evidence: the indexer turns stored documents into outgoing and incoming register lines, once") {
  EvidenceFixture f;
  auto p = districtPackage(12, "2022/08/15");
  f.storeDocument(p, {{kCommuneA1, RouteKind::Local, "", ""}, {kProvince, RouteKind::Peer, "province", ""}});
  // A document from the province arriving for the commune: incoming only.
  auto in = testPackage(kProvince, {kCommuneA1}, 7, "UBND");
  f.storeDocument(in, {{kCommuneA1, RouteKind::Local, "", ""}});

  auto stats = f.ev.indexer->run();
  REQUIRE(stats);
  CHECK(stats->documents == 2);
  CHECK(stats->outgoing == 1);
  CHECK(stats->incoming == 2);
  auto again = f.ev.indexer->run();
  REQUIRE(again);
  CHECK(again->documents == 0);
  CHECK(again->cursor == stats->cursor);

  RegisterQuery q;
  q.units = {kDistrictA};
  auto out = f.ev.book->entries(q);
  REQUIRE(out);
  REQUIRE(out->size() == 1);
  const auto& e = (*out)[0];
  CHECK(e.numberNotation() == "12/UBND");
  CHECK(e.date == "2022-08-15");
  CHECK(e.type == "Công văn");
  CHECK(e.signer == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn An");
  CHECK(e.source == "gateway");
  REQUIRE(e.recipients.size() == 2);
  CHECK(e.recipients[0].organ_id == kCommuneA1);
  CHECK(e.recipients[0].delivery_state == "pending");
  CHECK(e.channel() == IssueChannel::ElectronicOnly);
  CHECK(e.pdf_total == -1);

  q.direction = RegisterDirection::Incoming;
  q.units = {kCommuneA1};
  auto incoming = f.ev.book->entries(q);
  REQUIRE(incoming);
  REQUIRE(incoming->size() == 2);
  CHECK((*incoming)[0].sender != (*incoming)[1].sender);

  // The failed electronic delivery no longer counts: the document is not issued to anyone.
  auto deliveries = f.store->deliveriesOf(1);
  REQUIRE(deliveries);
  for (const auto& d : *deliveries) REQUIRE(f.store->finishDelivery(d.id, DeliveryState::Failed, nowMs(), "test"));
  q.direction = RegisterDirection::Outgoing;
  q.units = {kDistrictA};
  auto after = f.ev.book->entries(q);
  REQUIRE(after);
  CHECK((*after)[0].channel() == IssueChannel::NotIssued);
}

TEST_CASE("evidence: a clerk's paper copy makes a gateway document 'both'; bad records are refused whole") {
  auto p = districtPackage(30, "2022/09/01");
  PaperRecord copy;
  copy.unit = kDistrictA;
  copy.document_id = p.header.document_id;
  copy.date = "2022-09-01";
  copy.recipients = {kProvince};
  copy.dispatch_date = "2022-09-02";
  copy.copies = 1;

  EvidenceFixture g;
  g.storeDocument(p, {{kCommuneA1, RouteKind::Local, "", ""}, {kProvince, RouteKind::Peer, "province", ""}});
  REQUIRE(g.ev.indexer->run());
  auto both = g.ev.book->recordPaper(copy, "office:test");
  REQUIRE(both);
  CHECK(both->source == "gateway");
  CHECK(both->channel() == IssueChannel::Both);
  CHECK(both->copies == 1);
  CHECK(both->dispatch_date == "2022-09-02");

  // A batch with one bad row writes nothing and names the row.
  auto before = g.ev.book->entries({});
  REQUIRE(before);
  std::string csv = paperCsv(kDistrictA, 100, 3, "2022-09-05", true);
  csv += std::string(kDistrictA) + ",103,UBND,2022-09-31,Công văn,x,y," + kProvince + ",,1\n";
  auto records = parsePaperCsv(csv, "paper.csv");
  REQUIRE_FALSE(records);
  CHECK(records.error().code == ErrorCode::BadCsv);
  CHECK(records.error().message == "paper.csv: line 5: date: '2022-09-31' is not a day of that month");
  auto unknown = parsePaperCsv("unit,number,date,recipients,colour\nX,1,2022-01-01,Y,red\n", "p.csv");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.starts_with("p.csv: line 1: unknown field 'colour'"));

  auto ok_rows = parsePaperCsv(paperCsv(kDistrictA, 200, 2, "2022-09-05", true) +
                                   paperCsv("000.00.99.H41", 300, 1, "2022-09-05", true, false),
                               "mixed.csv");
  REQUIRE(ok_rows);
  REQUIRE(ok_rows->size() == 3);
  auto batch = g.ev.book->recordPaperBatch(*ok_rows, "cli:test", [](std::size_t i) {
    return "mixed.csv: line " + std::to_string(i + 2);
  });
  REQUIRE_FALSE(batch);
  CHECK(batch.error().code == ErrorCode::UnknownUnit);
  CHECK(batch.error().message ==
        "mixed.csv: line 4: unit '000.00.99.H41' is not in the directory (version test-1)");
  auto after = g.ev.book->entries({});
  REQUIRE(after);
  CHECK(after->size() == before->size());

  PaperRecord elsewhere = copy;
  elsewhere.unit = kDistrictB;
  elsewhere.document_id.clear();
  elsewhere.number = "5";
  auto refused = g.ev.book->recordPaper(elsewhere, "admin:x");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == "unit 000.00.32.H41 is homed at node 'district-b', not at this node 'district-a'");

  auto json = parsePaperJson(R"({"unit":"000.00.31.H41","number":"9","date":"2022-09-03","recipients":"x"})");
  REQUIRE_FALSE(json);
  CHECK(json.error().message == "'recipients' must be an array of OrganIds");
  auto no_recipients = parsePaperJson(R"({"unit":"000.00.31.H41","number":"9","date":"2022-09-03"})");
  REQUIRE_FALSE(no_recipients);
  CHECK(no_recipients.error().message == "'recipients' is required");
}

TEST_CASE("evidence: the seed district's Q3 2022 register reports 95.01% electronic and 4.28% paper") {
  EvidenceFixture f;
  // District (level 2): 2,933 electronic only, 132 paper only, 22 registered but not issued.
  bulkStore(f.store_file, kDistrictA, {kCommuneA1, kProvince}, 1, 2933, "2022/08/10", false);
  auto paper = parsePaperCsv(paperCsv(kDistrictA, 5001, 132, "2022-08-11", true) +
                                 paperCsv(kDistrictA, 6001, 22, "2022-09-29", false, false),
                             "district.csv");
  REQUIRE(paper);
  REQUIRE(paper->size() == 154);
  REQUIRE(f.ev.book->recordPaperBatch(*paper, "cli:test"));
  // Its commune (level 3): 1,341 electronic, of which 29 also on paper, and 460 paper only.
  bulkStore(f.store_file, kCommuneA1, {kDistrictA}, 1, 1312, "2022/07/20", false);
  bulkStore(f.store_file, kCommuneA1, {kDistrictA}, 2001, 29, "2022/07/21", true);
  auto commune_paper = parsePaperCsv(paperCsv(kCommuneA1, 3001, 460, "2022-09-01", true), "commune.csv");
  REQUIRE(commune_paper);
  REQUIRE(f.ev.book->recordPaperBatch(*commune_paper, "cli:test"));
  // A document outside the quarter does not count.
  bulkStore(f.store_file, kDistrictA, {kProvince}, 9001, 1, "2022/10/01", false);

  auto period = Period::parse("2022-Q3");
  REQUIRE(period);
  auto district = f.ev.reporter->issuance(*Scope::parse(std::string("unit:") + kDistrictA), *period);
  REQUIRE(district);
  const auto& d = district->total.outgoing;
  CHECK(d.total == 3087);
  CHECK(d.electronic_only == 2933);
  CHECK(d.paper_only == 132);
  CHECK(d.both == 0);
  CHECK(d.not_issued == 22);
  CHECK(percent2(d.electronic(), d.total) == "95.01");
  CHECK(percent2(d.paper(), d.total) == "4.28");
  CHECK(district->total.received == 1341);  // the commune's documents reached the district
  CHECK_FALSE(district->total.below_target);
  CHECK(district->pdf.measured() == false);
  CHECK(issuanceJson(*district).find(R"("rate":"not measured")") != std::string::npos);

  auto subtree = f.ev.reporter->issuance(*Scope::parse(std::string("subtree:") + kDistrictA), *period);
  REQUIRE(subtree);
  const auto& c = unitRow(*subtree, "H41.31.01").outgoing;
  CHECK(c.total == 1801);
  CHECK(c.electronic_only == 1312);
  CHECK(c.both == 29);
  CHECK(c.paper_only == 460);
  CHECK(c.not_issued == 0);
  CHECK(percent2(c.electronic(), c.total) == "74.46");
  CHECK(percent2(c.paper(), c.total) == "27.15");
  CHECK(subtree->below_target == std::vector<std::string>{"H41.31.01"});
  CHECK(subtree->total.outgoing.total == 3087 + 1801);

  const std::string csv = issuanceCsv(*subtree);
  CHECK(csv.find("2022-Q3,2022-07-01,2022-09-30,H41.31,Ủy ban nhân dân huyện Quỳnh Lưu,2,3087,2933,132,0,22,95.01,4.28,1341,0,0,90.00,no,,district-a,register\r\n") !=
        std::string::npos);
  CHECK(csv.find(",H41.31.01,Ủy ban nhân dân xã Quỳnh Thắng,3,1801,1312,460,29,0,74.46,27.15,") != std::string::npos);

  // Targets per level: 70% for communes in 2022 puts the commune above target.
  auto targets = Targets::parse("level,year,target\n3,2022,70\n2,*,96\n", "targets.csv");
  REQUIRE(targets);
  CHECK(targets->basisPoints(3, 2022) == 7000);
  CHECK(targets->basisPoints(3, 2023) == 9000);
  CHECK(targets->basisPoints(2, 2030) == 9600);
}

TEST_CASE("evidence: on random registers the four categories always add up to the total") {
  std::mt19937 rng(20221001);
  for (int iteration = 0; iteration < 2000; ++iteration) {
    ChannelCounts counts;
    std::array<std::int64_t, 4> expected{};
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      RegisterEntry e;
      const int recipients = static_cast<int>(rng() % 4);
      bool any_e = false, any_p = false;
      for (int r = 0; r < recipients; ++r) {
        RegisterRecipient x;
        x.organ_id = "R" + std::to_string(r);
        x.electronic = rng() % 3 == 0;
        x.paper = rng() % 4 == 0;
        any_e = any_e || x.electronic;
        any_p = any_p || x.paper;
        e.recipients.push_back(x);
      }
      counts.add(e.channel());
      ++expected[any_e && any_p ? 2 : any_e ? 0 : any_p ? 1 : 3];
    }
    REQUIRE(counts.total == n);
    REQUIRE(counts.electronic_only + counts.paper_only + counts.both + counts.not_issued == counts.total);
    REQUIRE(counts.electronic_only == expected[0]);
    REQUIRE(counts.paper_only == expected[1]);
    REQUIRE(counts.both == expected[2]);
    REQUIRE(counts.not_issued == expected[3]);
    REQUIRE(counts.electronic() + counts.paper_only + counts.not_issued == counts.total);
  }
  // The same through the register and the report, with clerk records and merges.
  for (int iteration = 0; iteration < 6; ++iteration) {
    EvidenceFixture f;
    std::vector<PaperRecord> records;
    std::int64_t total = 0;
    const int n = 20 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      PaperRecord r;
      r.unit = rng() % 2 ? kDistrictA : kCommuneA1;
      r.number = std::to_string(rng() % 30 + 1);  // collisions merge into one document
      r.notation = "UBND";
      r.date = "2022-07-0" + std::to_string(rng() % 9 + 1);
      r.recipients = {rng() % 2 ? kProvince : kDistrictB};
      if (rng() % 3) r.dispatch_date = "2022-07-10";
      records.push_back(r);
    }
    REQUIRE(f.ev.book->recordPaperBatch(records, "cli:test"));
    bulkStore(f.store_file, kDistrictA, {kProvince}, 500, static_cast<int>(rng() % 20), "2022/07/15",
              rng() % 2 == 0);
    REQUIRE(f.ev.indexer->run());
    auto all = f.ev.book->entries({});
    REQUIRE(all);
    total = static_cast<std::int64_t>(all->size());
    auto rep = f.ev.reporter->issuance(*Scope::parse("subtree:H41.31"), *Period::parse("2022-07"));
    REQUIRE(rep);
    const auto& t = rep->total.outgoing;
    REQUIRE(t.total == total);
    REQUIRE(t.electronic_only + t.paper_only + t.both + t.not_issued == t.total);
  }
}

TEST_CASE("evidence: periods, scopes and targets that are wrong are refused with what and where") {
  CHECK(Period::parse("2022-Q5").error().message == "period '2022-Q5': quarter 5 is not 1..4");
  CHECK(Period::parse("2022-13").error().message == "period '2022-13': month 13 is not 01..12");
  CHECK(Period::parse("2022-09-01..2022-07-01").error().message ==
        "period '2022-09-01..2022-07-01': the end 2022-07-01 is before the start 2022-09-01");
  CHECK(Period::parse("22-Q1").error().message == "period '22-Q1': '22-Q' is not a year yyyy");
  auto q = Period::parse("2024-Q1");
  REQUIRE(q);
  CHECK(q->from == "2024-01-01");
  CHECK(q->to == "2024-03-31");
  CHECK(Period::parse("2024-02")->to == "2024-02-29");
  CHECK(Period::parse("2022")->to == "2022-12-31");
  CHECK(Period::parse("2022-07-15")->from == "2022-07-15");
  CHECK(Scope::parse("level:9").error().message == "scope 'level:9': level '9' is not 1..4");
  CHECK(Scope::parse("district").error().message == "scope 'district' is not unit:CODE, subtree:CODE or level:N");
  auto bad = Targets::parse("3,2022,ninety\n", "targets.csv");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "targets.csv: line 1: target 'ninety' is not a percentage like 90 or 87.5");
  CHECK(Targets::parse(R"({"default": 85, "targets": [{"level": 3, "year": 2022, "target": 80}]})", "t.json")
            ->basisPoints(3, 2022) == 8000);

  EvidenceFixture f;
  auto unknown = f.ev.reporter->issuance(*Scope::parse("unit:000.00.77.H41"), *Period::parse("2022"));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::UnknownUnit);
  CHECK(unknown.error().message == "unit '000.00.77.H41' is not in the directory (version test-1)");
  auto level1 = f.ev.reporter->issuance(*Scope::parse("level:1"), *Period::parse("2022"));
  REQUIRE_FALSE(level1);
  CHECK(level1.error().message == "no unit of level 1 is homed at node 'district-a' or at a node below it");
  CHECK(percent2(0, 0) == "n/a");
  CHECK(percent2(1, 3) == "33.33");
  CHECK(percent2(2, 3) == "66.67");
  CHECK(percent2(1, 8) == "12.50");
}

TEST_CASE("evidence: PDF attachments are counted when a verifier is configured, 'not measured' otherwise") {
  auto verifier = std::make_shared<const signing::PdfVerifier>(signing::TrustStore());
  EvidenceFixture f(verifier);
  auto p = districtPackage(40, "2022/07/05");
  f.storeDocument(p, {{kProvince, RouteKind::Peer, "province", ""}});
  auto rep = f.ev.reporter->issuance(*Scope::parse(std::string("unit:") + kDistrictA), *Period::parse("2022-07"));
  REQUIRE(rep);
  CHECK(rep->pdf.documents_checked == 1);
  CHECK(rep->pdf.attachments == 1);  // the sample's unsigned PDF
  CHECK(rep->pdf.both_valid == 0);
  CHECK(issuanceJson(*rep).find(R"("rate":"0.00")") != std::string::npos);
}

TEST_CASE("evidence: lienthong register and report work on a node's data folder") {
  TempDir tmp;
  const auto data = tmp.path() / "data";
  fs::create_directories(data);
  {
    auto dir = threeNodeDirectory({});
    std::ofstream(data / "directory.xml") << dir->toXml();
    auto s = openSqliteStore((data / "store.sqlite").string());
    REQUIRE(s);
  }
  bulkStore((data / "store.sqlite").string(), kDistrictA, {kProvince}, 1, 19, "2022/07/05", false);
  std::ofstream(tmp.path() / "paper.csv") << paperCsv(kDistrictA, 100, 1, "2022-07-06", true);
  std::ofstream(data / "targets.csv") << "2,2022,96\n";
  const auto run = [&](const std::string& args, std::string& output) {
    const std::string cmd = std::string(LIENTHONG_BINARY) + " " + args + " --data " + data.string() +
                            " --node district-a > " + (tmp.path() / "out.txt").string() + " 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(tmp.path() / "out.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    output = ss.str();
    return WEXITSTATUS(rc);
  };
  std::string out;
  REQUIRE(run("register import " + (tmp.path() / "paper.csv").string(), out) == 0);
  CHECK(out.find("recorded 1 entries") != std::string::npos);
  REQUIRE(run("register paper --unit 000.00.31.H41 --number 101 --notation UBND --date 2022-07-07"
              " --to 000.00.00.H41 --subject 'Giấy mời họp'", out) == 0);
  CHECK(out == "recorded 101/UBND of 2022-07-07 for 000.00.31.H41: not_issued (entry 21)\n");
  REQUIRE(run("report issuance --unit 000.00.31.H41 --period 2022-Q3 --format csv", out) == 0);
  CHECK(out.find(",H41.31,Ủy ban nhân dân huyện Quỳnh Lưu,2,21,19,1,0,1,90.48,4.76,0,0,0,96.00,yes,") !=
        std::string::npos);
  REQUIRE(run("report issuance --level 2 --period 2022-07", out) == 0);
  CHECK(out.find("Units below target: H41.31") != std::string::npos);
  CHECK(run("report issuance --level 2 --period 2022-Q5", out) == 1);
  CHECK(out == "lienthong report: period '2022-Q5': quarter 5 is not 1..4 [invalid_argument]\n");
  CHECK(run("report issuance --unit 000.00.55.H41 --period 2022", out) == 1);
  CHECK(out == "lienthong report: unit '000.00.55.H41' is not in the directory (version test-1) [unknown_unit]\n");
  REQUIRE(run("register export --unit 000.00.31.H41 --from 2022-07-01 --to 2022-07-31 --format csv", out) == 0);
  CHECK(out.starts_with("Số, ký hiệu văn bản,Ngày tháng văn bản,") == false);  // quoted: has a comma
  CHECK(out.starts_with("\"Số, ký hiệu văn bản\",Ngày tháng văn bản,Tên loại và trích yếu nội dung,"));
  CHECK(out.find("1/UBND,05/07/2022,\"Công văn - Về việc triển khai gửi, nhận văn bản điện tử liên thông\",") !=
        std::string::npos);
  CHECK(out.find("101/UBND,07/07/2022,Giấy mời họp,,000.00.00.H41 (chưa phát hành),,0,,,chưa phát hành\r\n") !=
        std::string::npos);
  REQUIRE(run("register export --unit 000.00.31.H41 --format html --out " + (tmp.path() / "reg.html").string(), out) == 0);
  std::ifstream html(tmp.path() / "reg.html");
  std::stringstream hs;
  hs << html.rdbuf();
  CHECK(hs.str().find("<h1>SỔ ĐĂNG KÝ VĂN BẢN ĐI</h1>") != std::string::npos);
  CHECK(hs.str().find("<p>21 văn bản.</p>") != std::string::npos);
  std::ofstream(tmp.path() / "bad.csv") << "unit,number,date,recipients\n000.00.31.H41,7,2022-07-32,X\n";
  CHECK(run("register import " + (tmp.path() / "bad.csv").string(), out) == 1);
  CHECK(out.find("bad.csv: line 2: date: '2022-07-32' is not a day of that month [bad_csv]") != std::string::npos);
}

TEST_CASE("evidence: a PDF attachment signed by the official and then the agency counts as both valid") {
  auto verifier = std::make_shared<const signing::PdfVerifier>(signing::pdftest::verifier());
  EvidenceFixture f(verifier);
  auto p = districtPackage(41, "2022/07/06");
  bool replaced = false;
  for (auto& a : p.attachments) {
    if (a.content_type == "application/pdf" || a.attachment_name.ends_with(".pdf")) {
      a = schemas::Attachment::fromBytes(a.content_id, a.attachment_name, "application/pdf",
                                         signing::pdftest::bothSigned());
      replaced = true;
    }
  }
  REQUIRE(replaced);
  f.storeDocument(p, {{kProvince, RouteKind::Peer, "province", ""}});
  auto rep = f.ev.reporter->issuance(*Scope::parse(std::string("unit:") + kDistrictA), *Period::parse("2022-07"));
  REQUIRE(rep);
  CHECK(rep->pdf.documents_checked == 1);
  CHECK(rep->pdf.attachments == 1);
  CHECK(rep->pdf.both_valid == 1);
  CHECK(issuanceJson(*rep).find(R"("rate":"100.00")") != std::string::npos);
}

namespace {

// One node's province before and after a 2025-shaped change: district D and its communes C1 and
// C2 close on 2025-06-30; C1 and C2 merge into NEW1 under the province, D's work goes to it.
std::shared_ptr<const schemas::Directory> mergedProvince() {
  using schemas::Channel;
  std::vector<schemas::Unit> units = {
      {"H41", kProvince, "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "province", Channel::Mailbox, {}},
      {"H41.31", kDistrictA, "Ủy ban nhân dân huyện Quỳnh Lưu", "H41", 2, "2019-01-01", "2025-06-30", "H41", "province", Channel::Mailbox, {}},
      {"H41.31.01", kCommuneA1, "Ủy ban nhân dân xã Quỳnh Thắng", "H41.31", 3, "2019-01-01", "2025-06-30", "H41.40", "province", Channel::Mailbox, {}},
      {"H41.31.02", "000.02.31.H41", "Ủy ban nhân dân xã Quỳnh Tân", "H41.31", 3, "2019-01-01", "2025-06-30", "H41.40", "province", Channel::Mailbox, {}},
      {"H41.40", "000.00.40.H41", "Ủy ban nhân dân xã Quỳnh Thắng (mới)", "H41", 2, "2025-07-01", "", "", "province", Channel::Mailbox, {}},
  };
  return std::make_shared<const schemas::Directory>(
      *schemas::Directory::fromUnits("merged-2025", {{"province", "", ""}}, std::move(units)));
}

}  // namespace

TEST_CASE("evidence: a period before the merger is reported on the tree of its time, a trend maps onto today's units, and both reconcile") {
  TempDir tmp;
  EvidenceOptions o;
  o.store_file = (tmp.path() / "store.sqlite").string();
  REQUIRE(openSqliteStore(o.store_file));
  o.directory = schemas::LiveDirectory::make(mergedProvince());
  o.node_name = "province";
  auto ev = openEvidence(o);
  if (!ev) FAIL(ev.error().describe());
  int number = 0;
  const auto paper = [&](const std::string& unit, const std::string& date, int n) {
    for (int i = 0; i < n; ++i) {
      PaperRecord r;
      r.unit = unit;
      r.number = std::to_string(++number);
      r.notation = "UBND";
      r.date = date;
      r.subject = "Văn bản giấy";
      r.recipients = {kProvince};
      r.dispatch_date = date;
      REQUIRE(ev->book->recordPaper(r, "test"));
    }
  };
  paper(kDistrictA, "2022-08-01", 3);
  paper(kCommuneA1, "2022-08-02", 2);
  paper("000.02.31.H41", "2022-09-03", 1);
  paper(kProvince, "2025-08-01", 1);
  paper("000.00.40.H41", "2025-08-04", 2);
  const auto report = [&](const std::string& scope, const std::string& period, Scope::Tree tree) {
    auto s = Scope::parse(scope);
    REQUIRE(s);
    s->tree = tree;
    auto r = ev->reporter->issuance(*s, *Period::parse(period));
    if (!r) FAIL(r.error().describe());
    return *r;
  };
  const auto codes = [](const IssuanceReport& r) {
    std::vector<std::string> out;
    for (const auto& u : r.units) out.push_back(u.unit + "=" + std::to_string(u.outgoing.total));
    return out;
  };

  // 2022 Q3 as it was: the district and its communes (the new commune did not exist).
  const auto q3_2022 = report("subtree:H41", "2022-Q3", Scope::Tree::AsWas);
  CHECK(codes(q3_2022) == std::vector<std::string>{"H41=0", "H41.31=3", "H41.31.01=2", "H41.31.02=1"});
  CHECK(report("level:3", "2022-Q3", Scope::Tree::AsWas).total.outgoing.total == 3);
  // 2025 Q3 as it was: two tiers, the closed units are gone.
  const auto q3_2025 = report("subtree:H41", "2025-Q3", Scope::Tree::AsWas);
  CHECK(codes(q3_2025) == std::vector<std::string>{"H41=1", "H41.40=2"});
  // A trend over both on today's units: the predecessors' figures count for their successors.
  const auto trend = report("subtree:H41", "2022-01-01..2025-12-31", Scope::Tree::Today);
  CHECK(codes(trend) == std::vector<std::string>{"H41=4", "H41.40=5"});
  const auto as_was = report("subtree:H41", "2022-01-01..2025-12-31", Scope::Tree::AsWas);
  CHECK(as_was.units.size() == 5);
  CHECK(trend.total.outgoing.total == as_was.total.outgoing.total);
  CHECK(trend.total.outgoing.total == 9);
  CHECK(issuanceJson(trend).find("\"tree\":\"today\"") != std::string::npos);
  CHECK(issuanceText(q3_2022).find("Tree: the units as they were in the period") != std::string::npos);

  // What cannot be answered says why.
  auto s = *Scope::parse("level:3");
  s.tree = Scope::Tree::Today;
  auto none = ev->reporter->issuance(s, *Period::parse("2022"));
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("no unit of level:3 exists today") != std::string::npos);
  auto district = *Scope::parse("subtree:H41.31");
  district.tree = Scope::Tree::Today;
  auto gone = ev->reporter->issuance(district, *Period::parse("2022"));
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.find("its work is now H41's") != std::string::npos);
  auto nothing_then = ev->reporter->issuance(*Scope::parse("level:3"), *Period::parse("2025-Q4"));
  REQUIRE_FALSE(nothing_then);
  CHECK(nothing_then.error().message.find("existed in 2025-Q4") != std::string::npos);
  CHECK_FALSE(Scope::parseTree("yesterday"));

  // The dashboard asks for the units of its period: the tree of that time.
  const auto units_in = [&](const std::string& period) {
    for (const auto& route : ev->routes) {
      if (route.method != "GET" || route.path != "/api/v1/reports/units") continue;
      HttpRequest req;
      req.method = "GET";
      req.path = route.path;
      req.query["period"] = period;
      return route.handler(req);
    }
    FAIL("no units route");
    return HttpResponse{};
  };
  const auto after = units_in("2025-Q3");
  CHECK(after.status == 200);
  CHECK(after.body.find("\"H41.40\"") != std::string::npos);
  CHECK(after.body.find("\"H41.31\"") == std::string::npos);
  CHECK(after.body.find("\"levels\":[1,2]") != std::string::npos);
  const auto before = units_in("2022-Q3");
  CHECK(before.body.find("\"H41.40\"") == std::string::npos);
  CHECK(before.body.find("\"levels\":[1,2,3]") != std::string::npos);
  CHECK(units_in("2022-Q5").status == 400);
}

TEST_CASE("evidence: a DMS's own history imports with the channel it recorded, counts as it went, and a wrong channel is named") {
  EvidenceFixture f;
  std::string csv = "unit,number,notation,date,recipients,dispatch_date,channel\n";
  const auto line = [&](int n, const std::string& channel) {
    csv += std::string(kDistrictA) + "," + std::to_string(n) + ",CV-UBND,2022-07-1" + std::to_string(n % 10) + "," +
           kProvince + ";" + kCommuneA1 + ",2022-07-1" + std::to_string(n % 10) + "," + channel + "\n";
  };
  line(1, "electronic");
  line(2, "electronic");
  line(3, "both");
  line(4, "paper");
  line(5, "not_issued");
  auto records = parsePaperCsv(csv, "history.csv");
  REQUIRE(records);
  REQUIRE(f.ev.book->recordPaperBatch(*records, "cli:test"));
  auto entries = f.ev.book->entries({});
  REQUIRE(entries);
  REQUIRE(entries->size() == 5);
  CHECK(entries->front().source == "import");
  CHECK(entries->front().channel() == IssueChannel::ElectronicOnly);
  auto r = f.ev.reporter->issuance(*Scope::parse(std::string("unit:") + kDistrictA), *Period::parse("2022-Q3"));
  REQUIRE(r);
  const auto& o = r->total.outgoing;
  CHECK(o.total == 5);
  CHECK(o.electronic_only == 2);
  CHECK(o.both == 1);
  CHECK(o.paper_only == 1);
  CHECK(o.not_issued == 1);
  // Imported again: the same lines, nothing doubled.
  REQUIRE(f.ev.book->recordPaperBatch(*records, "cli:test"));
  CHECK(f.ev.book->entries({})->size() == 5);

  auto wrong = parsePaperCsv("unit,number,date,recipients,channel\n" + std::string(kDistrictA) + ",9,2022-07-01," +
                                 kProvince + ",email\n",
                             "history.csv");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.starts_with("history.csv: line 2: channel 'email' is not electronic, paper, both or not_issued"));
}

TEST_CASE("evidence: a commune that kept its code when its district was dissolved counts under its district before and under the province after") {
  TempDir tmp;
  EvidenceOptions o;
  o.store_file = (tmp.path() / "store.sqlite").string();
  REQUIRE(openSqliteStore(o.store_file));
  std::vector<schemas::Unit> units = mergedProvince()->units();
  schemas::Unit kept{"H41.31.03", "000.03.31.H41", "Ủy ban nhân dân xã Quỳnh Bá", "H41", 3, "2019-01-01", "", "",
                     "province", schemas::Channel::Mailbox, {}};
  kept.earlier = {{"2025-06-30", "H41.31", 3}};
  units.push_back(kept);
  auto dir = schemas::Directory::fromUnits("kept-2025", {{"province", "", ""}}, std::move(units));
  if (!dir) FAIL(dir.error().describe());
  o.directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*dir)));
  o.node_name = "province";
  auto ev = openEvidence(o);
  if (!ev) FAIL(ev.error().describe());
  int number = 0;
  for (const auto& [date, n] : std::vector<std::pair<std::string, int>>{{"2022-08-01", 2}, {"2025-08-01", 3}}) {
    for (int i = 0; i < n; ++i) {
      PaperRecord r;
      r.unit = "000.03.31.H41";
      r.number = std::to_string(++number);
      r.notation = "UBND";
      r.date = date;
      r.recipients = {kProvince};
      r.dispatch_date = date;
      REQUIRE(ev->book->recordPaper(r, "test"));
    }
  }
  const auto report = [&](const std::string& scope, const std::string& period) {
    auto r = ev->reporter->issuance(*Scope::parse(scope), *Period::parse(period));
    if (!r) FAIL(r.error().describe());
    return *r;
  };
  const auto has = [](const IssuanceReport& r, const std::string& code) {
    return std::any_of(r.units.begin(), r.units.end(), [&](const UnitIssuance& u) { return u.unit == code; });
  };
  // 2022-Q3, the tree of its time: under the district.
  auto before = report("subtree:H41.31", "2022-Q3");
  CHECK(has(before, "H41.31.03"));
  CHECK(before.total.outgoing.total == 2);
  // 2025-Q3: the district is gone; the commune is under the province, not under H41.31.
  auto after = report("subtree:H41", "2025-Q3");
  CHECK(has(after, "H41.31.03"));
  CHECK(unitRow(after, "H41.31.03").outgoing.total == 3);
  auto district_after = ev->reporter->issuance(*Scope::parse("subtree:H41.31"), *Period::parse("2025-Q3"));
  REQUIRE_FALSE(district_after);  // the district did not exist then
  // The units of a period carry the parent of that time.
  const HttpRoute* units_route = nullptr;
  for (const auto& route : ev->routes) {
    if (route.method == "GET" && route.path == "/api/v1/reports/units") units_route = &route;
  }
  REQUIRE(units_route);
  for (const auto& [period, parent] : std::vector<std::pair<std::string, std::string>>{{"2022-Q3", "H41.31"}, {"2025-Q3", "H41"}}) {
    HttpRequest req;
    req.method = "GET";
    req.path = "/api/v1/reports/units";
    req.query["period"] = period;
    req.credential.role = Role::Auditor;
    auto res = units_route->handler(req);
    REQUIRE(res.status == 200);
    INFO(res.body);
    CHECK(res.body.find(R"("legacy_code":"000.03.31.H41","level":3,"name":"Ủy ban nhân dân xã Quỳnh Bá","parent":")" + parent + "\"") !=
          std::string::npos);
  }
}
