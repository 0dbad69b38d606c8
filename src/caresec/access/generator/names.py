"""Word lists for synthetic people and places (common English given names, family names and
street names; any resemblance to real people is accidental)."""

from __future__ import annotations

GIVEN = (
    'Aaron', 'Abigail', 'Adam', 'Adrian', 'Aisha', 'Alan', 'Alex', 'Alice', 'Alma', 'Amelia',
    'Amir', 'Amy', 'Ana', 'Andre', 'Andrea', 'Angela', 'Anna', 'Anthony', 'Arjun', 'Arthur', 'Ava',
    'Ben', 'Bianca', 'Brandon', 'Brenda', 'Brian', 'Caleb', 'Carla', 'Carlos', 'Carmen',
    'Caroline', 'Carter', 'Catherine', 'Chen', 'Chloe', 'Chris', 'Claire', 'Clara', 'Colin',
    'Connor', 'Daniel', 'David', 'Deborah', 'Denise', 'Diana', 'Diego', 'Dmitri', 'Dolores',
    'Donna', 'Dylan', 'Edward', 'Elena', 'Eli', 'Elijah', 'Elise', 'Emily', 'Emma', 'Eric', 'Erin',
    'Ethan', 'Eva', 'Evan', 'Fatima', 'Felix', 'Fiona', 'Frank', 'Gabriel', 'Grace', 'Hannah',
    'Harold', 'Harper', 'Hector', 'Helen', 'Henry', 'Hugo', 'Ian', 'Imani', 'Irene', 'Isaac',
    'Isabel', 'Ivan', 'Jack', 'Jacob', 'Jade', 'James', 'Jamal', 'Jane', 'Jasmine', 'Jason',
    'Javier', 'Jean', 'Jenna', 'Jesse', 'Joan', 'Joel', 'John', 'Jonah', 'Jordan', 'Jose',
    'Joseph', 'Joyce', 'Julia', 'Julian', 'June', 'Kai', 'Karen', 'Kate', 'Keisha', 'Kenji',
    'Kevin', 'Kim', 'Kyle', 'Laura', 'Lauren', 'Leah', 'Leo', 'Leon', 'Liam', 'Lily', 'Linda',
    'Lucas', 'Lucy', 'Luis', 'Luke', 'Maria', 'Mark', 'Marta', 'Mason', 'Maya', 'Megan', 'Mei',
    'Mia', 'Michael', 'Miguel', 'Mila', 'Miles', 'Mohammed', 'Nadia', 'Naomi', 'Nathan', 'Nia',
    'Noah', 'Nora', 'Olivia', 'Omar', 'Oscar', 'Owen', 'Paul', 'Pedro', 'Peter', 'Priya', 'Quinn',
    'Rachel', 'Rafael', 'Ravi', 'Rebecca', 'Riley', 'Rita', 'Robert', 'Rosa', 'Ruby', 'Ryan',
    'Sakura', 'Sam', 'Samuel', 'Sara', 'Sean', 'Sofia', 'Sophie', 'Stella', 'Stephen', 'Susan',
    'Tanya', 'Theo', 'Thomas', 'Tina', 'Tom', 'Tyler', 'Uma', 'Valerie', 'Victor', 'Vivian', 'Wei',
    'William', 'Xavier', 'Yara', 'Yusuf', 'Zara', 'Zoe',
)

FAMILY = (
    'Abbott', 'Acosta', 'Adams', 'Aguilar', 'Ahmed', 'Alvarez', 'Anderson', 'Andrews', 'Armstrong',
    'Bailey', 'Baker', 'Banks', 'Barnes', 'Bell', 'Bennett', 'Berry', 'Bishop', 'Black', 'Blake',
    'Bowen', 'Boyd', 'Bradley', 'Brooks', 'Brown', 'Bryant', 'Burke', 'Burns', 'Butler', 'Byrne',
    'Campbell', 'Carr', 'Carroll', 'Carter', 'Castillo', 'Chan', 'Chang', 'Chavez', 'Chen',
    'Clark', 'Cole', 'Coleman', 'Collins', 'Cook', 'Cooper', 'Cruz', 'Cunningham', 'Daniels',
    'Davies', 'Davis', 'Dean', 'Delgado', 'Diaz', 'Dixon', 'Douglas', 'Duncan', 'Dunn', 'Edwards',
    'Elliott', 'Ellis', 'Evans', 'Ferguson', 'Fernandez', 'Fisher', 'Fleming', 'Flores', 'Ford',
    'Foster', 'Fox', 'Francis', 'Freeman', 'Garcia', 'Gardner', 'Gibson', 'Gomez', 'Gonzalez',
    'Gordon', 'Graham', 'Grant', 'Gray', 'Green', 'Griffin', 'Gupta', 'Hall', 'Hamilton', 'Hansen',
    'Harper', 'Harris', 'Hart', 'Harvey', 'Hayes', 'Henderson', 'Henry', 'Hernandez', 'Hill',
    'Hoffman', 'Holmes', 'Howard', 'Hughes', 'Hunt', 'Hunter', 'Ibrahim', 'Jackson', 'James',
    'Jensen', 'Jimenez', 'Johnson', 'Jones', 'Jordan', 'Kaur', 'Kelly', 'Kennedy', 'Khan', 'Kim',
    'King', 'Knight', 'Kumar', 'Lane', 'Larson', 'Lee', 'Lewis', 'Li', 'Lin', 'Liu', 'Long',
    'Lopez', 'Lynch', 'Marshall', 'Martin', 'Martinez', 'Mason', 'Matthews', 'Mendoza', 'Meyer',
    'Miller', 'Mills', 'Mitchell', 'Moore', 'Morales', 'Moreno', 'Morgan', 'Morris', 'Murphy',
    'Murray', 'Myers', 'Nelson', 'Nguyen', 'Nichols', 'Novak', 'Obrien', 'Olson', 'Ortiz', 'Owens',
    'Palmer', 'Park', 'Parker', 'Patel', 'Patterson', 'Payne', 'Perez', 'Perry', 'Peters',
    'Phillips', 'Pierce', 'Porter', 'Powell', 'Price', 'Quinn', 'Ramirez', 'Ramos', 'Reed',
    'Reyes', 'Reynolds', 'Rice', 'Richards', 'Rivera', 'Roberts', 'Robinson', 'Rodriguez',
    'Rogers', 'Romero', 'Ross', 'Russell', 'Ryan', 'Sanchez', 'Sanders', 'Santos', 'Schmidt',
    'Scott', 'Shah', 'Shaw', 'Silva', 'Simmons', 'Singh', 'Smith', 'Snyder', 'Spencer', 'Stanley',
    'Stevens', 'Stewart', 'Stone', 'Sullivan', 'Tan', 'Taylor', 'Thomas', 'Thompson', 'Torres',
    'Tran', 'Tucker', 'Turner', 'Vargas', 'Vasquez', 'Wagner', 'Walker', 'Wallace', 'Wang', 'Ward',
    'Warren', 'Washington', 'Watson', 'Weaver', 'Webb', 'Wells', 'West', 'White', 'Williams',
    'Willis', 'Wilson', 'Wong', 'Wood', 'Woods', 'Wright', 'Wu', 'Yang', 'Young', 'Zhang',
    'Zimmerman',
)

STREETS = (
    'Maple', 'Oak', 'Pine', 'Cedar', 'Elm', 'Birch', 'Willow', 'Walnut', 'Chestnut', 'Spruce',
    'Hickory', 'Magnolia', 'Aspen', 'Laurel', 'Juniper', 'Sycamore', 'Poplar', 'Alder', 'Cherry',
    'Linden', 'Hawthorn', 'Meadow', 'River', 'Lake', 'Hill', 'Ridge', 'Valley', 'Park', 'Garden',
    'Orchard', 'Mill', 'Bridge', 'Church', 'School', 'Market', 'Union', 'Liberty', 'Franklin',
    'Lincoln', 'Jefferson', 'Madison', 'Monroe', 'Jackson', 'Adams', 'Washington', 'Harbor',
    'Prairie', 'Summit', 'Highland', 'Sunset', 'Sunrise', 'Forest', 'Brook', 'Spring', 'Fairview',
    'Pleasant', 'Grove', 'Central', 'Main', 'Broad', 'Water', 'Canal',
)

SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Court", "Place", "Boulevard", "Way",
            "Terrace")

CITIES = (("Riverside", "62701"), ("Riverside", "62702"), ("Riverside", "62703"),
          ("Oak Ridge", "62710"), ("Millbrook", "62715"), ("Lakeview", "62720"),
          ("Fairfield", "62725"), ("Cedar Falls", "62730"))
