// Small built-in dictionaries for fake values, per locale. Enough variety that pseudonyms rarely
// collide in a column (first × last names: 4,900 per locale and sex), small enough to ship.

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

export interface LocaleDictionary {
  firstMale: readonly string[];
  firstFemale: readonly string[];
  lastMale: readonly string[];
  /** Same order as lastMale (Russian surnames change with sex). */
  lastFemale: readonly string[];
  cities: readonly string[];
  streets: readonly string[];
  companies: readonly string[];
  companyForms: readonly string[];
  /** Phone: country code and the digits after it. */
  phone: { prefix: string; digits: number; format: (d: string) => string };
  emailDomains: readonly string[];
}

const EN_LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Martin', 'Jackson', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell', 'Mitchell', 'Roberts', 'Carter', 'Phillips', 'Evans', 'Turner', 'Parker', 'Collins', 'Edwards', 'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper', 'Peterson', 'Reed', 'Bailey', 'Bell', 'Kelly', 'Howard', 'Ward', 'Cox', 'Richardson', 'Wood', 'Watson', 'Brooks', 'Bennett', 'Gray', 'James', 'Hughes', 'Price', 'Sanders', 'Myers', 'Long', 'Ross', 'Foster'];
const RU_LAST_M = ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов', 'Новиков', 'Фёдоров', 'Морозов', 'Волков', 'Алексеев', 'Лебедев', 'Семёнов', 'Егоров', 'Павлов', 'Козлов', 'Степанов', 'Николаев', 'Орлов', 'Андреев', 'Макаров', 'Никитин', 'Захаров', 'Зайцев', 'Соловьёв', 'Борисов', 'Яковлев', 'Григорьев', 'Романов', 'Воробьёв', 'Сергеев', 'Кузьмин', 'Фролов', 'Александров', 'Дмитриев', 'Королёв', 'Гусев', 'Киселёв', 'Ильин', 'Максимов', 'Поляков', 'Сорокин', 'Виноградов', 'Ковалёв', 'Белов', 'Медведев', 'Антонов', 'Тарасов', 'Жуков', 'Баранов', 'Филиппов', 'Комаров', 'Давыдов', 'Беляев', 'Герасимов', 'Богданов', 'Осипов', 'Сидоров', 'Матвеев', 'Титов', 'Марков', 'Миронов', 'Крылов', 'Куликов', 'Карпов', 'Власов', 'Мельников', 'Денисов'];

export const DICTIONARIES: Record<Locale, LocaleDictionary> = {
  en: {
    firstMale: ['James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Joseph', 'Thomas', 'Charles', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kenneth', 'Kevin', 'Brian', 'George', 'Edward', 'Ronald', 'Timothy', 'Jason', 'Jeffrey', 'Ryan', 'Jacob', 'Gary', 'Nicholas', 'Eric', 'Jonathan', 'Stephen', 'Larry', 'Justin', 'Scott', 'Brandon', 'Benjamin', 'Samuel', 'Gregory', 'Frank', 'Alexander', 'Raymond', 'Patrick', 'Jack', 'Dennis', 'Jerry', 'Tyler', 'Aaron', 'Jose', 'Adam', 'Henry', 'Nathan', 'Douglas', 'Zachary', 'Peter', 'Kyle', 'Walter', 'Ethan', 'Jeremy', 'Harold', 'Keith', 'Christian', 'Roger', 'Noah', 'Gerald', 'Carl', 'Terry'],
    firstFemale: ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Nancy', 'Lisa', 'Betty', 'Margaret', 'Sandra', 'Ashley', 'Kimberly', 'Emily', 'Donna', 'Michelle', 'Dorothy', 'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Sharon', 'Laura', 'Cynthia', 'Kathleen', 'Amy', 'Shirley', 'Angela', 'Helen', 'Anna', 'Brenda', 'Pamela', 'Nicole', 'Emma', 'Samantha', 'Katherine', 'Christine', 'Debra', 'Rachel', 'Catherine', 'Carolyn', 'Janet', 'Ruth', 'Maria', 'Heather', 'Diane', 'Virginia', 'Julie', 'Joyce', 'Victoria', 'Olivia', 'Kelly', 'Christina', 'Lauren', 'Joan', 'Evelyn', 'Judith', 'Megan', 'Cheryl', 'Andrea', 'Hannah', 'Martha', 'Jacqueline', 'Frances'],
    lastMale: EN_LAST,
    lastFemale: EN_LAST,
    cities: ['Springfield', 'Riverton', 'Fairview', 'Georgetown', 'Madison', 'Clinton', 'Franklin', 'Greenville', 'Bristol', 'Salem', 'Ashland', 'Oakland', 'Milton', 'Newport', 'Dover', 'Chester', 'Kingston', 'Burlington', 'Manchester', 'Marion'],
    streets: ['Main St', 'Oak Ave', 'Pine St', 'Maple Ave', 'Cedar Rd', 'Elm St', 'Washington Ave', 'Lake Rd', 'Hill St', 'Park Ave', 'Church St', 'River Rd', 'Sunset Blvd', 'Highland Ave', 'Mill St'],
    companies: ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne', 'Soylent', 'Hooli', 'Vandelay', 'Gringotts', 'Oscorp', 'Aperture', 'Monarch', 'Pied Piper', 'Massive Dynamic', 'Dunder Mifflin', 'Sterling Cooper'],
    companyForms: ['Inc.', 'LLC', 'Ltd', 'Corp.', 'Group'],
    phone: { prefix: '+1', digits: 10, format: (d) => `+1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}` },
    emailDomains: ['example.com', 'example.org', 'example.net'],
  },
  ru: {
    firstMale: ['Александр', 'Дмитрий', 'Максим', 'Сергей', 'Андрей', 'Алексей', 'Артём', 'Илья', 'Кирилл', 'Михаил', 'Никита', 'Матвей', 'Роман', 'Егор', 'Арсений', 'Иван', 'Денис', 'Евгений', 'Даниил', 'Тимофей', 'Владислав', 'Игорь', 'Владимир', 'Павел', 'Руслан', 'Марк', 'Константин', 'Тимур', 'Олег', 'Ярослав', 'Антон', 'Николай', 'Глеб', 'Данил', 'Савелий', 'Вадим', 'Степан', 'Юрий', 'Богдан', 'Артур', 'Семён', 'Макар', 'Лев', 'Виктор', 'Елисей', 'Виталий', 'Вячеслав', 'Захар', 'Мирон', 'Дамир', 'Георгий', 'Давид', 'Платон', 'Анатолий', 'Григорий', 'Демид', 'Данила', 'Станислав', 'Василий', 'Фёдор', 'Родион', 'Леонид', 'Одиссей', 'Валерий', 'Святослав', 'Борис', 'Эдуард', 'Марат', 'Герман', 'Даниэль'],
    firstFemale: ['Анастасия', 'Анна', 'Мария', 'Елена', 'Дарья', 'Алина', 'Ирина', 'Екатерина', 'Арина', 'Полина', 'Ольга', 'Юлия', 'Татьяна', 'Наталья', 'Виктория', 'Елизавета', 'Ксения', 'Милана', 'Вероника', 'Алиса', 'Валерия', 'Александра', 'Ульяна', 'Кристина', 'Софья', 'Марина', 'Светлана', 'Варвара', 'София', 'Диана', 'Яна', 'Кира', 'Ангелина', 'Маргарита', 'Ева', 'Алёна', 'Дарина', 'Карина', 'Василиса', 'Олеся', 'Аделина', 'Оксана', 'Таисия', 'Надежда', 'Евгения', 'Элина', 'Злата', 'Есения', 'Людмила', 'Вера', 'Галина', 'Любовь', 'Лилия', 'Алла', 'Тамара', 'Валентина', 'Нина', 'Зоя', 'Лариса', 'Жанна', 'Инна', 'Лидия', 'Римма', 'Регина', 'Эвелина', 'Стефания', 'Мирослава', 'Амелия', 'Серафима', 'Агата'],
    lastMale: RU_LAST_M,
    lastFemale: RU_LAST_M.map((s) => `${s}а`),
    cities: ['Москва', 'Санкт-Петербург', 'Новосибирск', 'Екатеринбург', 'Казань', 'Нижний Новгород', 'Челябинск', 'Самара', 'Омск', 'Ростов-на-Дону', 'Уфа', 'Красноярск', 'Пермь', 'Воронеж', 'Волгоград', 'Краснодар', 'Саратов', 'Тюмень', 'Ижевск', 'Барнаул'],
    streets: ['ул. Ленина', 'ул. Советская', 'ул. Мира', 'ул. Садовая', 'ул. Молодёжная', 'ул. Школьная', 'ул. Лесная', 'ул. Набережная', 'пр. Победы', 'ул. Гагарина', 'ул. Пушкина', 'ул. Центральная', 'ул. Строителей', 'ул. Полевая', 'ул. Заречная'],
    companies: ['Ромашка', 'Вектор', 'Гранит', 'Восход', 'Меридиан', 'Альфа-Строй', 'Сибирь', 'Полюс', 'Орбита', 'Радуга', 'Светоч', 'Прогресс', 'Импульс', 'Северсталь-Сервис', 'Техноком', 'Лидер', 'Эталон', 'Феникс', 'Горизонт', 'Кристалл'],
    companyForms: ['ООО', 'АО', 'ПАО', 'ИП'],
    phone: { prefix: '+7', digits: 10, format: (d) => `+7 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}` },
    emailDomains: ['example.ru', 'example.com', 'example.org'],
  },
};

/** Latin letters for a Cyrillic name (for fake e-mail addresses of the ru locale). */
const TRANSLIT: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u',
  ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};
const transliterated = new Map<string, string>();

/** Latin letters, lower case, for a name (Cyrillic transliterated), for fake e-mail addresses; names are few, so each is done once. */
export function transliterate(s: string): string {
  let t = transliterated.get(s);
  if (t === undefined) {
    t = [...s.toLowerCase()].map((c) => TRANSLIT[c] ?? c).join('');
    if (transliterated.size < 10_000) transliterated.set(s, t);
  }
  return t;
}
